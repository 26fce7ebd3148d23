using System.Security.Cryptography;
using System.Text;

namespace Lockout.Database;

/// <summary>
/// A PostgreSQL SCRAM-SHA-256 password verifier (RFC 5802, RFC 7677), as <c>psql</c>'s <c>\password</c> computes it.
/// </summary>
/// <remarks>
/// <c>CREATE ROLE … PASSWORD</c> is DDL and takes no parameters, so the password would be part of the statement's
/// text, which the server may log (<c>log_statement = ddl</c>) and show in <c>pg_stat_activity</c>. Given a verifier,
/// PostgreSQL stores it as is, and the password itself never reaches the server.
/// </remarks>
public static class ScramVerifier
{
    private const int Iterations = 4096; // PostgreSQL's scram_iterations default

    public static string Create(string password)
    {
        // SASLprep is the identity for printable ASCII, which is what the AppHost generates.
        var salt = RandomNumberGenerator.GetBytes(16);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, 32);
        var storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        return $"SCRAM-SHA-256${Iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }
}
