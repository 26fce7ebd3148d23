using Lockout.AppHost;
using Lockout.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Lockout.UnitTests.AppHost;

public sealed class ServiceScaleTests
{
    [Fact]
    public void Without_settings_one_of_each_part_runs()
    {
        Assert.Equal(new ServiceScale(1, 1, 1), ServiceScale.Read(Configuration()));
    }

    [Fact]
    public void The_command_line_keys_set_each_part()
    {
        var scale = ServiceScale.Read(Configuration(("Scale:ApiReplicas", "2"), ("Scale:WriterReplicas", "3"), ("Scale:RedisShards", "4")));

        Assert.Equal(new ServiceScale(2, 3, 4), scale);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("17")]
    [InlineData("two")]
    public void A_count_that_is_not_1_to_16_is_refused_with_the_key_named(string value)
    {
        var exception = Assert.Throws<InfrastructureUnavailableException>(() => ServiceScale.Read(Configuration(("Scale:RedisShards", value))));

        Assert.Contains("Scale:RedisShards", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    public void The_shards_serve_every_slot_once_in_order(int shards)
    {
        var ranges = Enumerable.Range(0, shards).Select(shard => RedisServerSettings.SlotRange(shard, shards)).ToList();

        Assert.Equal(0, ranges[0].First);
        Assert.Equal(RedisServerSettings.ClusterSlots - 1, ranges[^1].Last);
        Assert.All(ranges.Zip(ranges.Skip(1)), pair => Assert.Equal(pair.First.Last + 1, pair.Second.First));
        Assert.All(ranges, range => Assert.True(range.Last >= range.First));
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(setting => new KeyValuePair<string, string?>(setting.Key, setting.Value))).Build();
}
