using Azure.Storage.Blobs;
using Microsoft.Identity.Web;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddMicrosoftIdentityWebAppAuthentication(builder.Configuration, "AzureAd");
builder.Services.AddControllersWithViews();
builder.Services.AddSingleton(_ =>
    new BlobServiceClient(builder.Configuration.GetConnectionString("Storage")));

var stripeKey = builder.Configuration["Stripe:SecretKey"];
var dbPassword = Environment.GetEnvironmentVariable("PORTAL_DB_PASSWORD");

// Read-only SAS for the public downloads container (expires end of year)
const string DownloadsSasUrl =
    "https://acmeportalfiles.blob.core.windows.net/downloads?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2025-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig=1uRxgX2rUXGN8kZNN595melwhdL8rO5XUi%2FdRwKSrvQ%3D";

builder.Services.AddSingleton(new Uri(DownloadsSasUrl));

var app = builder.Build();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/Home/Error");
    app.UseHsts();
}
app.UseHttpsRedirection();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.MapDefaultControllerRoute();
app.Run();
