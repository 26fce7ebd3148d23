using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Lockout.Events;
using Lockout.Kafka;

namespace Lockout.UnitTests.Kafka;

public sealed class KafkaTopicCreationTests
{
    [Fact]
    public void Topics_that_exist_already_are_not_a_failure()
    {
        var exception = Failed((LockoutTopics.Events, ErrorCode.TopicAlreadyExists), (LockoutTopics.DeadLetter, ErrorCode.NoError));

        Assert.True(KafkaTopicCreation.OnlyAlreadyExisted(exception));
    }

    [Theory]
    [InlineData(ErrorCode.InvalidReplicationFactor)] // e.g. a replication factor above the broker count
    [InlineData(ErrorCode.TopicAuthorizationFailed)]
    [InlineData(ErrorCode.InvalidPartitions)]
    public void Any_other_error_is_a_failure_even_when_the_other_topic_existed(ErrorCode error)
    {
        var exception = Failed((LockoutTopics.Events, ErrorCode.TopicAlreadyExists), (LockoutTopics.DeadLetter, error));

        Assert.False(KafkaTopicCreation.OnlyAlreadyExisted(exception));
    }

    private static CreateTopicsException Failed(params (string Topic, ErrorCode Code)[] results) =>
        new([.. results.Select(result => new CreateTopicReport { Topic = result.Topic, Error = new Error(result.Code) })]);
}
