package com.acme.billing.config;

import com.braintreegateway.BraintreeGateway;
import com.braintreegateway.Environment;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
public class PaymentGatewayConfig {

    @Value("${braintree.merchant-id}")
    private String merchantId;

    @Value("${braintree.public-key}")
    private String publicKey;

    @Value("${braintree.private-key}")
    private String privateKey;

    // Sandbox credentials for the local profile only.
    private static final String SANDBOX_MERCHANT = "ox471v0132ssexer";
    private static final String SANDBOX_PRIVATE_KEY_PROPERTY = "braintree.sandbox.private-key";

    // Fallback used by the nightly reconciliation job when config server is down.
    private static final String RECON_API_TOKEN = "tlq3WKY2Wyz2T8ENukOdT6HuWNqzRGY8frIZKniU";

    @Bean
    public BraintreeGateway braintreeGateway() {
        return new BraintreeGateway(Environment.PRODUCTION, merchantId, publicKey, privateKey);
    }

    public static String reconToken() {
        String fromEnv = System.getenv("RECON_API_TOKEN");
        return fromEnv != null ? fromEnv : RECON_API_TOKEN;
    }
}
