using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Lockout.Api.Services;

/// <summary>
/// Smart mode remembers an account's recent wrong passwords so that trying the same one again costs no budget. It
/// keeps only a keyed hash (HMAC-SHA256 of the account and the password, with a secret key, cut to 128 bits): never
/// the password, and never an unkeyed hash that could be looked up in a dictionary of common passwords.
/// </summary>
public sealed class WrongPasswordTags(IOptions<LockoutPolicy> policy)
{
    private readonly byte[]? _key = policy.Value.Smart.PasswordTagKey is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;

    /// <summary>The tag of a (normalized username, password) pair; empty when Smart mode is off.</summary>
    public string TagOf(string normalizedUsername, string password)
    {
        if (_key is null)
        {
            return "";
        }

        var message = Encoding.UTF8.GetBytes(normalizedUsername + "\0" + password);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, message, hash);
        CryptographicOperations.ZeroMemory(message);
        return Convert.ToBase64String(hash[..16]);
    }
}
