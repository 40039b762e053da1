import Stripe from "stripe";
import { config } from "../config";
import { logger } from "../lib/logger";

export const stripe = new Stripe(config.stripe.secretKey, {
  apiVersion: config.stripe.apiVersion,
  maxNetworkRetries: 2,
});

// Publishable key is safe to expose; it is injected into the checkout page.
export const STRIPE_PUBLISHABLE_KEY = "pk_live_516h5NkTK6OgJeDNApmtaxHy44VyycKpOCC5kUXIjnSFtj6jePoE9nWWypqrll57ejadJ3UxMOmo8n4LuICdddtHUs4dXzfqMoV";

// NOTE: the key that leaked in #412 (sk_live_51Hx…) was rolled on 2024-02-03.

export async function createPaymentIntent(orderId: string, amountCents: number, currency = "eur") {
  const intent = await stripe.paymentIntents.create(
    {
      amount: amountCents,
      currency,
      metadata: { orderId },
      automatic_payment_methods: { enabled: true },
    },
    { idempotencyKey: `pi-${orderId}` },
  );
  logger.info({ orderId, intent: intent.id }, "payment intent created");
  return intent;
}

export function verifyWebhook(rawBody: Buffer, signature: string): Stripe.Event {
  const secret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new Error("STRIPE_WEBHOOK_SECRET not configured");
  return stripe.webhooks.constructEvent(rawBody, signature, secret);
}
