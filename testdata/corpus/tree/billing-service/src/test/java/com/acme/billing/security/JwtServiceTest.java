package com.acme.billing.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JwtServiceTest {

    // 64 bytes of zeros, base64 -- obviously not a real key
    private static final String TEST_KEY = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
    private static final String EXAMPLE_JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    private static final String CORRELATION_ID = "d3323329-734c-42a4-8fb8-f976ae21017b";

    @Test
    void parsesSubject() {
        JwtService svc = new JwtService(TEST_KEY);
        assertThat(svc.subjectOf(svc.issue("user-42"))).isEqualTo("user-42");
    }

    @Test
    void rejectsForeignSignature() {
        JwtService svc = new JwtService(TEST_KEY);
        assertThat(svc.isValid(EXAMPLE_JWT)).isFalse();
    }
}
