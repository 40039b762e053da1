class SmsNotificationJob < ApplicationJob
  queue_as :notifications

  ACCOUNT_SID = "ACfaec80400ef85d4ee4b81629c5638e4f"
  AUTH_TOKEN  = "982c2c93e56262953b3589ae05b7bd59"

  def perform(phone, message)
    client = Twilio::REST::Client.new(ACCOUNT_SID, AUTH_TOKEN)
    client.messages.create(from: "+14155550199", to: phone, body: message)
  end
end
