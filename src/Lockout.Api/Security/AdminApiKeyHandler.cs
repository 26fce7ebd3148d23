using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Lockout.Api.Security;

/// <summary>
/// Authenticates admin callers by the <c>X-Api-Key</c> header against each operator's key (the AppHost's
/// <c>admin-api-key</c> parameter is the operator "admin"); the caller is the operator whose key it is.
/// </summary>
public sealed partial class AdminApiKeyHandler(
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

        if (OperatorWithKey(provided[0]!) is not { } name)
        {
            if (!Options.Keys().Any())
            {
                LogNoAdminKey(Logger);
            }

            return Task.FromResult(AuthenticateResult.Fail("Invalid API key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, "admin")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    /// <summary>
    /// The operator whose key was sent, or null. Every key is compared, whichever matches: the time taken says
    /// nothing about which key, or how much of one, was right.
    /// </summary>
    private string? OperatorWithKey(string provided)
    {
        // Hashing first makes each comparison constant-time whatever the lengths.
        var providedHash = SHA256.HashData(Encoding.UTF8.GetBytes(provided));
        string? found = null;
        foreach (var (name, key) in Options.Keys())
        {
            if (CryptographicOperations.FixedTimeEquals(providedHash, SHA256.HashData(Encoding.UTF8.GetBytes(key))))
            {
                found = name;
            }
        }

        return found;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An admin call was refused because no admin key is configured: set Lockout:AdminApiKey or Lockout:Admin:Operators:<name> (the AppHost does).")]
    private static partial void LogNoAdminKey(ILogger logger);
}
