using System.Text;
using Lockout.Events;

namespace Lockout.UnitTests.Events;

public sealed class LockoutEventSerializerTests
{
    private static readonly LockoutEvent Sample = new(
        Guid.Parse("0190f0a5-1c2b-7d3e-8f40-123456789abc"), LockoutEventType.Locked, "JOHN",
        new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero), 5, 1795665600000);

    [Fact]
    public void An_event_round_trips_as_camel_case_json_with_upper_case_types()
    {
        var json = Encoding.UTF8.GetString(LockoutEventSerializer.Serialize(Sample));

        Assert.Contains("\"eventId\":\"0190f0a5-1c2b-7d3e-8f40-123456789abc\"", json, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"LOCKED\"", json, StringComparison.Ordinal);
        Assert.True(LockoutEventSerializer.TryDeserialize(Encoding.UTF8.GetBytes(json), out var parsed, out _));
        Assert.Equal(Sample, parsed);
    }

    [Theory]
    [InlineData("", "no value")]
    [InlineData("not json", "not a lockout event")]
    [InlineData("null", "JSON null")]
    [InlineData("{\"type\":\"LOCKED\",\"username\":\"A\",\"occurredAt\":\"2026-11-26T12:00:00Z\",\"attempts\":5,\"version\":1}", "not a lockout event")]
    [InlineData("{\"eventId\":\"00000000-0000-0000-0000-000000000000\",\"type\":\"LOCKED\",\"username\":\"A\",\"occurredAt\":\"2026-11-26T12:00:00Z\",\"attempts\":5,\"version\":1}", "eventId")]
    [InlineData("{\"eventId\":\"0190f0a5-1c2b-7d3e-8f40-123456789abc\",\"type\":\"MAYBE\",\"username\":\"A\",\"occurredAt\":\"2026-11-26T12:00:00Z\",\"attempts\":5,\"version\":1}", "not a lockout event")]
    [InlineData("{\"eventId\":\"0190f0a5-1c2b-7d3e-8f40-123456789abc\",\"type\":\"LOCKED\",\"username\":\"\",\"occurredAt\":\"2026-11-26T12:00:00Z\",\"attempts\":5,\"version\":1}", "username")]
    [InlineData("{\"eventId\":\"0190f0a5-1c2b-7d3e-8f40-123456789abc\",\"type\":\"LOCKED\",\"username\":\"A\",\"occurredAt\":\"2026-11-26T12:00:00Z\",\"attempts\":-1,\"version\":1}", "attempts")]
    [InlineData("{\"eventId\":\"0190f0a5-1c2b-7d3e-8f40-123456789abc\",\"type\":\"LOCKED\",\"username\":\"A\",\"occurredAt\":\"2026-11-26T12:00:00Z\",\"attempts\":5,\"version\":0}", "version")]
    public void An_invalid_event_is_refused_with_a_reason_that_names_the_problem(string json, string reasonMentions)
    {
        var valid = LockoutEventSerializer.TryDeserialize(Encoding.UTF8.GetBytes(json), out var parsed, out var reason);

        Assert.False(valid);
        Assert.Null(parsed);
        Assert.Contains(reasonMentions, reason, StringComparison.OrdinalIgnoreCase);
    }
}
