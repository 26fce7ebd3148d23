using Microsoft.AspNetCore.Authentication;

namespace Lockout.Api.Security;

/// <summary>The options of the <see cref="AdminApiKeyHandler"/> scheme.</summary>
/// <remarks>
/// Not validated at start on purpose: without a key the API still serves logins and refuses every admin request,
/// which is the safe way to run without an admin.
/// </remarks>
public sealed class AdminApiKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>The secret; with none configured, every admin request is refused.</summary>
    public string? ApiKey { get; set; }
}
