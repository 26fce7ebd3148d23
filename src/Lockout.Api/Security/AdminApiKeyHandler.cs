using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Lockout.Api.Security;

/// <summary>
/// Authenticates admin callers by the <c>X-Api-Key</c> header against the configured secret
/// (the AppHost's <c>admin-api-key</c> parameter).
/// </summary>
public sealed class AdminApiKeyHandler(
    IOptionsMonitor<AdminApiKeyOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AdminApiKeyOptions>(options, logger, encoder)
{
    public const string SchemeName = "AdminApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string PolicyName = "Admin";

    /// <summary>The name of the admin who made the call, for the audit row of what they decided.</summary>
    public static string OperatorOf(ClaimsPrincipal admin) => admin.Identity?.Name ?? "admin";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var provided) || provided.Count != 1 || string.IsNullOrEmpty(provided[0]))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (string.IsNullOrEmpty(Options.ApiKey) || !KeysMatch(provided[0]!, Options.ApiKey))
        {
            return Task.FromResult(AuthenticateResult.Fail("Invalid API key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin"), new Claim(ClaimTypes.Role, "admin")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    // Hashing first makes the comparison constant-time whatever the lengths.
    private static bool KeysMatch(string provided, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(provided)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
