using System.Globalization;
using Lockout.Benchmarks.Load;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Accounts one run uses, named <c>{prefix}-{index:D6}</c>; every account has the same password and, to make
/// seeding 100,000 accounts cheap, the same stored hash (the hash is salted, but sharing one is harmless here).
/// </summary>
internal sealed class AccountSet(string prefix, int count, PasswordSet passwords)
{
    public string Prefix { get; } = prefix;

    public int Count { get; } = count;

    public PasswordSet Passwords { get; } = passwords;

    /// <summary>The upper-invariant form both systems store and look up, as ASP.NET Core Identity normalizes.</summary>
    public string NormalizedPrefix => Prefix.ToUpperInvariant() + "-";

    public string Username(int index) => $"{Prefix}-{index.ToString("D6", CultureInfo.InvariantCulture)}";

    public string NormalizedUsername(int index) => Username(index).ToUpperInvariant();

    /// <summary>One pre-encoded request per account.</summary>
    public byte[][] EncodeAll(bool correctPassword)
    {
        var requests = new byte[Count][];
        for (var i = 0; i < Count; i++)
        {
            requests[i] = LoginRequest.Encode(Username(i), correctPassword ? Passwords.Correct : Passwords.Wrong);
        }

        return requests;
    }
}

/// <summary>The right and a wrong password, and the right one's hash at the run's iteration count.</summary>
internal sealed record PasswordSet(string Correct, string Wrong, string CorrectHash);
