using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lockout.Events;

/// <summary>
/// The wire format of <see cref="LockoutEvent"/>: camelCase JSON, validated on the way in.
/// </summary>
public static class LockoutEventSerializer
{
    public const int MaxUsernameLength = UsernameNormalizer.MaxLength;

    public const int MaxOperatorLength = 128;

    public static byte[] Serialize(LockoutEvent lockoutEvent) =>
        JsonSerializer.SerializeToUtf8Bytes(lockoutEvent, LockoutEventJsonContext.Default.LockoutEvent);

    /// <summary>
    /// Parses and validates an event; on failure <paramref name="reason"/> says what is wrong, for the dead-letter topic.
    /// </summary>
    public static bool TryDeserialize(
        ReadOnlySpan<byte> utf8Json,
        [NotNullWhen(true)] out LockoutEvent? lockoutEvent,
        [NotNullWhen(false)] out string? reason)
    {
        lockoutEvent = null;
        if (utf8Json.IsEmpty)
        {
            reason = "The message has no value.";
            return false;
        }

        LockoutEvent? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(utf8Json, LockoutEventJsonContext.Default.LockoutEvent);
        }
        catch (JsonException exception)
        {
            reason = $"The value is not a lockout event: {exception.Message}";
            return false;
        }

        reason = parsed switch
        {
            null => "The value is JSON null.",
            { EventId: var id } when id == Guid.Empty => "eventId is missing or empty.",
            { Type: var type } when !Enum.IsDefined(type) => "type is not a known decision.",
            { Username: null, Type: not (LockoutEventType.SourceThrottled or LockoutEventType.ThrottleLifted) } => "username is missing.",
            { Username: "" } => "username is empty.",
            { Username.Length: > MaxUsernameLength } => $"username is longer than {MaxUsernameLength} characters.",
            { Username: { } name } when !UsernameNormalizer.IsNormalized(name) =>
                "username is not a normalized username (control characters, noncharacters, or not in its normalized form).",
            { Source: null, Type: LockoutEventType.SourceBlocked or LockoutEventType.SourceUnblocked or LockoutEventType.SourceThrottled or LockoutEventType.ThrottleLifted } =>
                "source is missing.",
            { Source: { } source } when !ClientSource.IsValid(source) => "source is not an IPv4 address or an IPv6 /64 prefix.",
            { Operator.Length: > MaxOperatorLength } => $"operator is longer than {MaxOperatorLength} characters.",
            { Level: < 0 } => "level is negative.",
            { OccurredAt: var at } when at == default => "occurredAt is missing.",
            { Attempts: < 0 } => "attempts is negative.",
            { Version: <= 0 } => "version is missing or not positive.",
            _ => null,
        };

        if (reason is not null)
        {
            return false;
        }

        lockoutEvent = parsed!;
        return true;
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(LockoutEvent))]
internal sealed partial class LockoutEventJsonContext : JsonSerializerContext;
