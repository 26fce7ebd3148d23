using Lockout.Api.Redis;
using StackExchange.Redis;

namespace Lockout.UnitTests.Api;

/// <summary>
/// The rule by which a login gives up on Redis: a command is given up once Redis has answered nothing at all for the
/// limit, not because the command itself is slow. Commands are stood in for by tasks the test completes, as the
/// client completes a command when its answer is read.
/// </summary>
public sealed class RedisSilenceTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(300);

    // Fails a test whose command is never given up (a plain TimeoutException), rather than hanging it.
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_command_is_given_up_as_a_redis_timeout_when_nothing_is_answered_for_the_limit()
    {
        var silence = new RedisSilence(Limit);
        var unanswered = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);

        var exception = await Assert.ThrowsAsync<RedisTimeoutException>(() => silence.WaitAsync(unanswered.Task).WaitAsync(Guard, TestContext.Current.CancellationToken));

        Assert.Contains("answered nothing", exception.Message);
        Assert.False(unanswered.Task.IsCompleted);
    }

    [Fact]
    public async Task A_command_waits_past_the_limit_while_redis_keeps_answering_other_commands()
    {
        var silence = new RedisSilence(Limit);
        var slow = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = silence.WaitAsync(slow.Task);

        // Other commands answered every 50 ms, for four times the limit: Redis is busy, not gone.
        var answeringUntil = DateTime.UtcNow + 4 * Limit;
        while (DateTime.UtcNow < answeringUntil)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            Assert.Equal(1, await silence.WaitAsync(Task.FromResult(1)));
            Assert.False(waiting.IsCompleted, "The slow command was given up while Redis was answering.");
        }

        slow.SetResult(42);
        Assert.Equal(42, await waiting);
    }

    [Fact]
    public async Task An_error_redis_sends_is_an_answer_and_passes_through()
    {
        var silence = new RedisSilence(Limit);
        var rejected = Task.FromException<int>(new RedisServerException("NOSCRIPT No matching script."));
        var slow = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = silence.WaitAsync(slow.Task);

        var answeringUntil = DateTime.UtcNow + 3 * Limit;
        while (DateTime.UtcNow < answeringUntil)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
            await Assert.ThrowsAsync<RedisServerException>(() => silence.WaitAsync(rejected));
            Assert.False(waiting.IsCompleted, "The slow command was given up while Redis was answering with errors.");
        }

        slow.SetResult(7);
        Assert.Equal(7, await waiting);
    }

    [Fact]
    public async Task A_connection_failure_is_not_an_answer_and_passes_through()
    {
        var silence = new RedisSilence(Limit);
        var failed = Task.FromException<int>(new RedisConnectionException(ConnectionFailureType.SocketFailure, "No connection."));
        var unanswered = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = silence.WaitAsync(unanswered.Task);

        await Assert.ThrowsAsync<RedisConnectionException>(() => silence.WaitAsync(failed));

        await Assert.ThrowsAsync<RedisTimeoutException>(() => waiting.WaitAsync(Guard, TestContext.Current.CancellationToken));
    }
}
