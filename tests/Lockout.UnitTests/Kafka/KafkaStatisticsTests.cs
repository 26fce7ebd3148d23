using Lockout.Kafka;

namespace Lockout.UnitTests.Kafka;

public sealed class KafkaStatisticsTests
{
    [Fact]
    public void Consumer_lag_is_summed_over_the_assigned_partitions_of_the_topic()
    {
        const string statistics = """
            {"topics":{"lockout-events":{"partitions":{
              "0":{"consumer_lag":3},"1":{"consumer_lag":-1},"2":{"consumer_lag":4},"-1":{"consumer_lag":100}}}}}
            """;

        Assert.Equal(7, KafkaStatistics.ReadConsumerLag(statistics, "lockout-events"));
        Assert.Null(KafkaStatistics.ReadConsumerLag("""{"topics":{}}""", "lockout-events"));
    }
}
