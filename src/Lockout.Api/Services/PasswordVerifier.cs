using System.Security.Cryptography;
using Lockout.Api.Telemetry;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Lockout.Api.Services;

/// <summary>
/// Hashes and verifies passwords with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (v3 format:
/// PBKDF2-HMAC-SHA512, salted), so hashes stay compatible with existing Identity user tables.
/// </summary>
public sealed partial class PasswordVerifier
{
    private readonly PasswordHasher<UserAccount> _hasher;
    private readonly LockoutApiMetrics _metrics;
    private readonly ILogger<PasswordVerifier> _logger;

    // An unknown username is verified against this hash, so it costs the same time as a known one.
    private readonly string _decoyHash;

    public PasswordVerifier(IOptions<PasswordHasherOptions> options, LockoutApiMetrics metrics, ILogger<PasswordVerifier> logger)
    {
        _hasher = new PasswordHasher<UserAccount>(options);
        _metrics = metrics;
        _logger = logger;
        _decoyHash = _hasher.HashPassword(UserAccount.None, RandomNumberGenerator.GetHexString(32));
    }

    public string Hash(string password) => _hasher.HashPassword(UserAccount.None, password);

    /// <summary>True when <paramref name="password"/> matches; with no hash (no such user) always false, at the same cost.</summary>
    public bool Verify(string? passwordHash, string password)
    {
        try
        {
            var result = _hasher.VerifyHashedPassword(UserAccount.None, passwordHash ?? _decoyHash, password);
            // Counted here, where the hash is computed, so the metric is the budget really spent.
            _metrics.PasswordVerified();
            return passwordHash is not null && result != PasswordVerificationResult.Failed;
        }
        catch (FormatException)
        {
            LogUnreadableHash(_logger);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A stored password hash is not in a format PasswordHasher reads; the login fails.")]
    private static partial void LogUnreadableHash(ILogger logger);
}
