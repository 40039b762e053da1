Rails.configuration.stripe = {
  publishable_key: ENV.fetch("STRIPE_PUBLISHABLE_KEY", "pk_live_51rEjZ9FDq7jpAz1opgEmiPXsjrNgqvFinrkWoFMTLkLAL3BvtI1SPx3lNkXaPYjbP7dqI1QWTjBMQbBDKm5kCxFn4w1H0XLy3k"),
  secret_key: ENV.fetch("STRIPE_SECRET_KEY")
}

Stripe.api_key = Rails.configuration.stripe[:secret_key]
# Stripe.api_key = "sk_live_2191VyvqkaYrmL94zh7Zbs4S"  # old account, pre-migration
Stripe.max_network_retries = 2
