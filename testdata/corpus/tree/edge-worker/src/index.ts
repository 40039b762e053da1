export interface Env {
  SESSIONS: KVNamespace;
  ORIGIN: string;
  TURNSTILE_SECRET_KEY: string;
  UPSTASH_REDIS_REST_TOKEN: string;
}

const PUSH_SERVER_KEY = "AAAAFwjZEKq:APA91b8dZu1rX_M2Vb1cEaU4Z4hVfK3AooDVU-nrjRNJi5QkgKENYSS9rYsHovFV_u-foOd6qmolsvVfJmcOrV3g3uFTE21_5vJZHvRqW6bSMJzJFtQeog22h0NqK28ootKWWjdj01y5";

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/notify") {
      const body = await req.text();
      return fetch("https://fcm.googleapis.com/fcm/send", {
        method: "POST",
        headers: { Authorization: `key=${PUSH_SERVER_KEY}`, "Content-Type": "application/json" },
        body,
      });
    }
    const session = req.headers.get("cookie")?.match(/sid=([^;]+)/)?.[1];
    if (session && !(await env.SESSIONS.get(session))) {
      return new Response("unauthorized", { status: 401 });
    }
    return fetch(new Request(env.ORIGIN + url.pathname + url.search, req));
  },
};
