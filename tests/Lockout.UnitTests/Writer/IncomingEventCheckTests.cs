using System.Text;
using Confluent.Kafka;
using Lockout.Events;
using Lockout.Writer.Services;
using Microsoft.Extensions.Time.Testing;

namespace Lockout.UnitTests.Writer;

public sealed class IncomingEventCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);
    private readonly EventSigner _signer = new("unit-test-event-signing-key-0123456789");
    private readonly IncomingEventCheck _check;

    public IncomingEventCheckTests() => _check = new IncomingEventCheck(_signer, new FakeTimeProvider(Now));

    [Fact]
    public void A_signed_event_with_a_version_of_now_is_accepted()
    {
        Assert.True(_check.TryAccept(Signed(Unlocked(Now.ToUnixTimeMilliseconds())), out var accepted, out _));
        Assert.Equal(LockoutEventType.Unlocked, accepted.Type);
    }

    [Fact]
    public void An_unsigned_event_is_refused()
    {
        var message = Signed(Unlocked(Now.ToUnixTimeMilliseconds()));
        message.Headers.Remove(EventSigner.Header);

        Assert.False(_check.TryAccept(message, out _, out var reason));
        Assert.Equal("The message is not signed (no lockout-signature header).", reason);
    }

    [Fact]
    public void An_event_signed_with_another_key_or_changed_after_signing_or_signed_twice_is_refused()
    {
        var otherKey = Signed(Unlocked(Now.ToUnixTimeMilliseconds()), new EventSigner("another-key-that-is-32-characters-long"));
        var changed = Signed(Unlocked(Now.ToUnixTimeMilliseconds()));
        changed.Key = Encoding.UTF8.GetBytes("SOMEONE-ELSE");
        var twice = Signed(Unlocked(Now.ToUnixTimeMilliseconds()));
        twice.Headers.Add(EventSigner.Header, new byte[32]);

        foreach (var message in new[] { otherKey, changed })
        {
            Assert.False(_check.TryAccept(message, out _, out var reason));
            Assert.StartsWith("The lockout-signature header does not match the message", reason, StringComparison.Ordinal);
        }

        Assert.False(_check.TryAccept(twice, out _, out var twiceReason));
        Assert.Equal("The message carries more than one lockout-signature header.", twiceReason);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(86_400_000L)] // now + 1 day
    [InlineData(300_001L)] // one millisecond beyond the skew
    public void A_signed_event_whose_version_is_beyond_now_plus_the_skew_is_refused(long aheadMilliseconds)
    {
        var version = aheadMilliseconds == long.MaxValue ? long.MaxValue : Now.ToUnixTimeMilliseconds() + aheadMilliseconds;

        Assert.False(_check.TryAccept(Signed(Unlocked(version)), out var accepted, out var reason));
        Assert.Null(accepted);
        Assert.StartsWith($"version {version} is beyond the writer's clock plus 5 minutes", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_at_the_edge_of_the_skew_is_accepted()
    {
        Assert.True(_check.TryAccept(Signed(Unlocked(Now.ToUnixTimeMilliseconds() + 300_000)), out _, out _));
    }

    private static LockoutEvent Unlocked(long version) =>
        new(Guid.CreateVersion7(), LockoutEventType.Unlocked, "CAROL", Now, 0, version, Operator: "carol");

    private Message<byte[]?, byte[]?> Signed(LockoutEvent lockoutEvent, EventSigner? signer = null)
    {
        var key = Encoding.UTF8.GetBytes(lockoutEvent.Key);
        var value = LockoutEventSerializer.Serialize(lockoutEvent);
        return new Message<byte[]?, byte[]?> { Key = key, Value = value, Headers = new Headers { { EventSigner.Header, (signer ?? _signer).Sign(key, value) } } };
    }
}
