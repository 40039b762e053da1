#!/usr/bin/env node
// Copies Zendesk escalations into the SUP Jira project.
const axios = require("axios");

const JIRA_BASE = "https://acme-corp.atlassian.net";
const JIRA_EMAIL = "support-bot@acme-corp.com";
const JIRA_TOKEN = "ATATT3xFfGF0zmjQ2AxQUcG80XugiIaFFsTlvnSGLyyqmm9qOpJIanvw3p3_v4bkTLxJyR0BLwlMI8rMjx0ASfGncWXwBWgg_68_eWuLuKjEf3TOTzN5va1OWjRcLxBEY1g0CDb8nW06vwGqpHm8bnQbmNKyqA4jo1HEK3asIiwXSBAA9AlFWB=775678E6";

const ZENDESK = {
  subdomain: "acmesupport",
  email: "support-bot@acme-corp.com/token",
  token: "K57zjd8a7QQgRIENXcWDyIoMiDrVuvEIdnDKtyF3",
};

const jira = axios.create({
  baseURL: JIRA_BASE,
  auth: { username: JIRA_EMAIL, password: JIRA_TOKEN },
});

async function main() {
  const { data } = await axios.get(`https://${ZENDESK.subdomain}.zendesk.com/api/v2/search.json`, {
    params: { query: "type:ticket tags:escalated status<solved" },
    auth: { username: ZENDESK.email, password: ZENDESK.token },
  });
  for (const t of data.results) {
    await jira.post("/rest/api/3/issue", {
      fields: { project: { key: "SUP" }, summary: `[ZD-${t.id}] ${t.subject}`, issuetype: { name: "Task" } },
    });
  }
}

main().catch((e) => { console.error(e.message); process.exit(1); });
