import { Client } from "@notionhq/client";
import { writeFileSync } from "node:fs";

const notion = new Client({ auth: process.env.NOTION_TOKEN ?? "secret_YEPaHzXEoDdOkF38ZTiNDaWB1n7JWcZ7GFbu1IB70gb" });
const DATABASE_ID = "6b24204ad9cb439c0d626ec76f0247e4";

const pages = await notion.databases.query({ database_id: DATABASE_ID, page_size: 100 });
writeFileSync("kb-export.json", JSON.stringify(pages.results, null, 2));
console.log(`exported ${pages.results.length} pages`);
