using Lockout.Events;
using Lockout.Kafka;
using Lockout.Writer.Services;

namespace Lockout.Tests.Units;

public sealed class SmallPartsTests
{
    [Fact]
    public void Usernames_are_normalized_as_aspnet_identity_does()
    {
        Assert.Equal("JOHN", UsernameNormalizer.Normalize("john"));
        Assert.Equal(UsernameNormalizer.Normalize("JoHn"), UsernameNormalizer.Normalize("jOhN"));
    }

    [Fact]
    public void Consumer_lag_is_summed_over_the_assigned_partitions_of_the_events_topic()
    {
        const string statistics = """
            {"topics":{"lockout-events":{"partitions":{
              "0":{"consumer_lag":3},"1":{"consumer_lag":-1},"2":{"consumer_lag":4},"-1":{"consumer_lag":100}}}}}
            """;

        Assert.Equal(7, ConsumerLagStatistics.Read(statistics));
        Assert.Null(ConsumerLagStatistics.Read("""{"topics":{}}"""));
    }

    [Fact]
    public void A_stored_traceparent_is_parsed_and_a_missing_or_broken_one_is_ignored()
    {
        var context = KafkaTelemetry.ParseTraceParent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal(default, KafkaTelemetry.ParseTraceParent(null));
        Assert.Equal(default, KafkaTelemetry.ParseTraceParent("garbage"));
    }
}
