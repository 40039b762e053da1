import { WebClient } from "@slack/web-api";

const token = process.env.SLACK_BOT_TOKEN || "xoxb-742714139150-5496280856283-DJW0bnJ3Et6gnKneOxn1iJsi";
const slack = new WebClient(token);

const CHANNELS = {
  orders: "C04QX8Z1L2M",
  alerts: "C05A7B2KPQR",
} as const;

export async function notifyLargeOrder(orderId: string, total: number) {
  if (total < 1000_00) return;
  await slack.chat.postMessage({
    channel: CHANNELS.orders,
    text: `:moneybag: Large order ${orderId} (${(total / 100).toFixed(2)} EUR)`,
  });
}
