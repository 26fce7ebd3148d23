using System.Diagnostics.CodeAnalysis;
using Confluent.Kafka;
using Lockout.Events;

namespace Lockout.Writer.Services;

/// <summary>
/// What the writer asks of a message before anything in it is believed: that the API's relay signed it, that it is
/// a lock event, and that its version is one Redis could have given. Anything else goes to the dead-letter topic with
/// the reason, and nothing of it is applied.
/// </summary>
/// <remarks>
/// Versions are Redis's clock in Unix milliseconds (the scripts' <c>next_version</c>: at least the time, one above the
/// last). A version far in the future would make every later decision look older than it, freezing the row for good,
/// so one beyond the writer's clock plus <see cref="MaxClockSkew"/> is refused.
/// </remarks>
public sealed class IncomingEventCheck(EventSigner signer, TimeProvider clock)
{
    /// <summary>How far Redis's clock may run ahead of the writer's.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public bool TryAccept(
        Message<byte[]?, byte[]?> message,
        [NotNullWhen(true)] out LockoutEvent? lockoutEvent,
        [NotNullWhen(false)] out string? reason)
    {
        lockoutEvent = null;
        reason = SignatureProblem(message);
        if (reason is not null || !LockoutEventSerializer.TryDeserialize(message.Value, out lockoutEvent, out reason))
        {
            return false;
        }

        var latest = clock.GetUtcNow().Add(MaxClockSkew).ToUnixTimeMilliseconds();
        if (lockoutEvent.Version > latest)
        {
            reason = $"version {lockoutEvent.Version} is beyond the writer's clock plus {MaxClockSkew.TotalMinutes:0} minutes ({latest}); no decision can be that new.";
            lockoutEvent = null;
            return false;
        }

        return true;
    }

    private string? SignatureProblem(Message<byte[]?, byte[]?> message)
    {
        byte[]? signature = null;
        foreach (var header in message.Headers ?? [])
        {
            if (header.Key != EventSigner.Header)
            {
                continue;
            }

            if (signature is not null)
            {
                return $"The message carries more than one {EventSigner.Header} header.";
            }

            signature = header.GetValueBytes();
        }

        if (signature is null)
        {
            return $"The message is not signed (no {EventSigner.Header} header).";
        }

        return signer.IsSignatureOf(signature, message.Key ?? [], message.Value ?? [])
            ? null
            : $"The {EventSigner.Header} header does not match the message: not signed with the events' key, or changed since.";
    }
}
