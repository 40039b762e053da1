using System.Net;
using System.Net.Mail;

namespace Portal.Web.Services;

public sealed class EmailService
{
    private readonly SmtpClient _client = new("smtp.sendgrid.net", 587)
    {
        EnableSsl = true,
        Credentials = new NetworkCredential("apikey", "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"),
    };

    public Task SendAsync(string to, string subject, string body) =>
        _client.SendMailAsync(new MailMessage("portal@acme-corp.com", to, subject, body) { IsBodyHtml = true });
}
