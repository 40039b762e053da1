import fetch from "node-fetch";

const FILE_KEY = "MzVni1hm9UqyLY5DYYmzXW";
const headers = { "X-Figma-Token": "figd_4plEMDkaj2GW9yA6M3jrmL8BfX76coiXQF58BH_K" };

const res = await fetch(`https://api.figma.com/v1/files/${FILE_KEY}/components`, { headers });
const { meta } = await res.json();
console.log(meta.components.map((c) => c.name).join("\n"));
