namespace Portal.Web.Services;

public static class PasswordPolicy
{
    public const string PasswordFieldName = "Password";
    public const string ConfirmPasswordFieldName = "ConfirmPassword";
    public const int MinLength = 12;

    // Hash of the seeded admin account's password (PBKDF2, ASP.NET Identity v3 format)
    public const string SeedAdminHash = "AQAAAAIAAYagAAAAEZyFfpIey7kwH9RJSDdBR0YOGEgduZRQZBJ5WCtwDzRBY+zbEVnliLqsQdR1ehpZLOZ9==";
    public const string LegacyMd5Hash = "e72c2c07f00304df205d8b2bf796fe2c"; // pre-2019 accounts, forced reset on login

    public static bool IsStrong(string password) =>
        password.Length >= MinLength && password.Any(char.IsDigit) && password.Any(char.IsUpper);
}
