package com.acme.billing.notify;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

public final class SlackNotifier {
    private static final String WEBHOOK =
        "https://hooks.slack.com/services/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";
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private SlackNotifier() {}

    public static void post(String text) throws Exception {
        String body = "{\"text\":\"" + text.replace("\"", "'") + "\"}";
        HttpRequest req = HttpRequest.newBuilder(URI.create(WEBHOOK))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
        CLIENT.send(req, HttpResponse.BodyHandlers.discarding());
    }
}
