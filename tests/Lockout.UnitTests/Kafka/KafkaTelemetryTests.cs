using Lockout.Kafka;

namespace Lockout.UnitTests.Kafka;

public sealed class KafkaTelemetryTests
{
    [Fact]
    public void A_stored_traceparent_is_parsed_and_a_missing_or_broken_one_is_ignored()
    {
        var context = KafkaTelemetry.ParseTraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal(default, KafkaTelemetry.ParseTraceParent(null));
        Assert.Equal(default, KafkaTelemetry.ParseTraceParent("garbage"));
    }
}
