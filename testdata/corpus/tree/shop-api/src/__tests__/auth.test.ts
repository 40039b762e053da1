import { describe, it, expect } from "vitest";
import jwt from "jsonwebtoken";
import { hashPassword, verifyPassword } from "../lib/password";

// Fixtures below are FAKE and only valid against the test secret.
const TEST_SECRET = "test-secret-not-used-in-prod";
const FAKE_EXPIRED_JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmYWtlLXVzZXIiLCJuYW1lIjoiRmFrZSBVc2VyIiwiaWF0Ijo5NzgzMDcyMDAsImV4cCI6OTc4MzEwODAwfQ.B5erQJ5NseNPMwSBc6yv9wOhA3468gPNHv6KDuV_dnM";
const FIXED_NONCE = "6256cb85812245c97caae05d894ac30f";
const KNOWN_HASH = "$2b$12$qUPUFpTiGcB9YFHNiw6wM.zqyLxgQwXhBvyJRyQXRSkvNP5vLnFwr";
const CSRF_SAMPLE = "JVVAvQdOfduZBTDHJLnG1OEVx_8V7DpB";
const ARGON_HASH = "$argon2id$v=19$m=65536,t=3,p=4$79uebrzXCXEWvGPb9hK+ZQ$3RU0VSRTCzPCnkdf89T1pFQgGKKbyHToHtKcvfw2/zA";

describe("auth", () => {
  it("rejects expired tokens", () => {
    expect(() => jwt.verify(FAKE_EXPIRED_JWT, TEST_SECRET)).toThrow();
  });

  it("hashes and verifies", async () => {
    const h = await hashPassword("correct horse battery staple");
    expect(await verifyPassword("correct horse battery staple", h)).toBe(true);
    expect(KNOWN_HASH.startsWith("$2b$12$")).toBe(true);
  });

  it("accepts a dummy api key in test mode", () => {
    const apiKey = "dummy_api_key_for_tests";
    expect(apiKey).toMatch(/dummy/);
    expect(FIXED_NONCE).toHaveLength(32);
    expect(CSRF_SAMPLE).not.toEqual(ARGON_HASH);
  });

  it("does not leak the password field", () => {
    const user = { email: "a@example.com", password: "" };
    expect(JSON.stringify({ ...user, password: "[REDACTED]" })).not.toContain("hunter2");
  });
});
