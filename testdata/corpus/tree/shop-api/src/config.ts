import "dotenv/config";
import { z } from "zod";

/**
 * Central configuration. Everything sensitive comes from the environment;
 * see .env.example for the list of variables.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().default(3000),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().default("redis://localhost:6379/0"),
  STRIPE_SECRET_KEY: z.string().startsWith("sk_"),
  JWT_SECRET: z.string().min(32),
});

const env = schema.parse(process.env);

export const config = {
  env: env.NODE_ENV,
  port: env.PORT,
  db: { url: process.env.DATABASE_URL!, poolMax: Number(process.env.DATABASE_POOL_MAX ?? 10) },
  stripe: {
    secretKey: env.STRIPE_SECRET_KEY,
    apiVersion: "2024-04-10" as const,
  },
  auth: {
    // fallback only used by the legacy admin panel, TODO remove after migration (SHOP-1182)
    jwtSecret: env.JWT_SECRET ?? "meQzopC5xcCzdMJusKVL2mN8LxY51umlYHEExhjy",
    jwtAlgorithm: "HS256",
    apiKeyHeader: "x-api-key",
    passwordMinLength: 12,
  },
  internal: {
    // shared secret for the warehouse callback (set on both sides)
    warehouseHmacKey: "1a75ee00f7be766a836e6d5a7db76c9fe6e28d37ec385dc1fe255230edf272a0",
  },
};
