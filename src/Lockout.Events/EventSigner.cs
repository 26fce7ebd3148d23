using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lockout.Events;

/// <summary>
/// Signs and checks lock events with HMAC-SHA256 under a key only the API and the writer hold, so that reaching the
/// broker is not enough to change a lock: the writer applies only what the API's relay signed.
/// </summary>
/// <remarks>
/// The signature covers the message key and value as sent: a length-prefixed key, then the value. The prefix keeps
/// the two apart, so bytes cannot be moved from one to the other under the same signature. Headers are not covered;
/// the writer reads nothing from them that changes a row.
/// </remarks>
public sealed class EventSigner
{
    /// <summary>The Kafka header that carries the signature (32 bytes).</summary>
    public const string Header = "lockout-signature";

    private readonly byte[] _key;

    public EventSigner(string key)
    {
        if (EventSigningOptions.Problem(key) is { } problem)
        {
            throw new ArgumentException(problem, nameof(key));
        }

        _key = Encoding.UTF8.GetBytes(key);
    }

    public byte[] Sign(ReadOnlySpan<byte> messageKey, ReadOnlySpan<byte> value)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32BigEndian(length, messageKey.Length);
        hmac.AppendData(length);
        hmac.AppendData(messageKey);
        hmac.AppendData(value);
        return hmac.GetHashAndReset();
    }

    public byte[] Sign(string messageKey, ReadOnlySpan<byte> value) => Sign(Encoding.UTF8.GetBytes(messageKey), value);

    /// <summary>True when <paramref name="signature"/> is this key's signature of the message; constant-time.</summary>
    public bool IsSignatureOf(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> messageKey, ReadOnlySpan<byte> value) =>
        CryptographicOperations.FixedTimeEquals(signature, Sign(messageKey, value));
}
