using System.Diagnostics;
using Microsoft.AspNetCore.Identity;

namespace Lockout.Benchmarks.Identity;

/// <summary>
/// Identity's <see cref="PasswordHasher{TUser}"/>, counted: every password UserManager verifies passes through here,
/// so the count is what Identity really did, lost increments included (aspnetcore issue #7689), not what its
/// <c>AccessFailedCount</c> says (it is reset to 0 when the account locks). Scoped, as Identity registers its
/// hasher: one instance per request, which also remembers when that request verified.
/// </summary>
internal sealed class CountingPasswordHasher(PasswordHasher<IdentityUser> hasher, IdentityStats stats) : IPasswordHasher<IdentityUser>
{
    /// <summary>When this request's password was verified (a <see cref="Stopwatch"/> timestamp); 0 if it was not.</summary>
    public long VerifiedAt { get; private set; }

    public string HashPassword(IdentityUser user, string password) => hasher.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(IdentityUser user, string hashedPassword, string providedPassword)
    {
        var result = hasher.VerifyHashedPassword(user, hashedPassword, providedPassword);
        VerifiedAt = Stopwatch.GetTimestamp();
        stats.PasswordVerified(user.NormalizedUserName ?? "");
        return result;
    }
}
