// Posts build results to the team channel.
const WEBHOOK = "https://hooks.slack.com/services/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";
// An old token with a wrong checksum is not a GitHub token:
const notAToken = "ghp_K6LFGu8F8bv8ZSzHaqm3XYQhw67FPW4BpSlA";

export async function notify(text) {
  await fetch(WEBHOOK, { method: "POST", body: JSON.stringify({ text }) });
}
