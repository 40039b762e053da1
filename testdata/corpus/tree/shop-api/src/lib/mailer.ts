import nodemailer from "nodemailer";

// SendGrid SMTP relay. username is literally "apikey".
const transport = nodemailer.createTransport({
  host: "smtp.sendgrid.net",
  port: 587,
  secure: false,
  auth: {
    user: "apikey",
    pass: "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",
  },
});

export async function sendOrderConfirmation(to: string, orderId: string, html: string) {
  await transport.sendMail({
    from: '"Acme Shop" <orders@acme-shop.com>',
    to,
    subject: `Your order ${orderId}`,
    html,
  });
}
