namespace Lockout.Api.Services;

/// <summary>
/// One account, one key: logins, Redis keys, Kafka keys and database look-ups all use the normalized name.
/// </summary>
/// <remarks>Upper-invariant, as ASP.NET Core Identity's default lookup normalizer, so existing Identity tables match.</remarks>
public static class UsernameNormalizer
{
    public static string Normalize(string username) => username.Normalize().ToUpperInvariant();
}
