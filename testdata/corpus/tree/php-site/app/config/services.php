<?php

return [
    'mailgun' => [
        'domain' => env('MAILGUN_DOMAIN', 'mg.acme-corp.com'),
        'secret' => env('MAILGUN_SECRET', 'key-e4d03a647700630284e4322bc4d8c0a0'),
        'endpoint' => env('MAILGUN_ENDPOINT', 'api.eu.mailgun.net'),
        'scheme' => 'https',
    ],

    'stripe' => [
        'key' => env('STRIPE_KEY'),
        'secret' => env('STRIPE_SECRET'),
    ],

    'square' => [
        'environment' => 'production',
        'access_token' => 'EAAAJvxaLJyo_SPrNoBtDGZFBGP-RbE8MpxvioiSHFeWqjoP8vrzQbdRqD99pzgH',
        'application_secret' => 'sq0csp-hQmh6uchezBgLtIvW8HgTH17Dix8-dYZM2VOfgMSru9',
    ],

    'shippo' => [
        'token' => env('SHIPPO_TOKEN', 'shippo_live_75083e2157408e3e095bfce8b41ef378442503ec'),
    ],
];
