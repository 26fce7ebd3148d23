using StackExchange.Redis;

namespace Lockout.Api.Redis;

/// <summary>
/// Tells a Redis that has stopped answering (paused, hung, unreachable) from one that is only busy, so that a login
/// waiting on the first is answered 503 in about a second and a login waiting on the second is not.
/// </summary>
/// <remarks>
/// StackExchange.Redis times a command out by its own age, checked on a once-a-second heartbeat: a 1 s timeout answers
/// a paused Redis after 1 to 2 s, and also fails commands that are slow only because the machine is busy (a burst of
/// a thousand logins on two cores). Here a command is given up once it has waited the limit <em>and</em> nothing at
/// all has been answered on the connection for the limit; while other commands' answers keep coming, it waits on, up
/// to the client's own (longer) timeout. An answer counts whether it is a result or an error Redis sent.
/// </remarks>
public sealed class RedisSilence(TimeSpan limit)
{
    private readonly long _limitMilliseconds = (long)limit.TotalMilliseconds;

    // Environment.TickCount64 of the last answer; monotonic, unlike the wall clock a test may fake.
    private long _lastAnswer;

    /// <summary>The command's result, or a <see cref="RedisTimeoutException"/> once Redis has been silent for the limit.</summary>
    public async Task<T> WaitAsync<T>(Task<T> command)
    {
        var sentAt = Environment.TickCount64;
        while (!command.IsCompleted)
        {
            var silentFor = Environment.TickCount64 - Math.Max(Volatile.Read(ref _lastAnswer), sentAt);
            if (silentFor >= _limitMilliseconds)
            {
                // The command stays with the client, which fails or completes it later: nobody is left to observe it.
                _ = command.ContinueWith(static done => _ = done.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                throw new RedisTimeoutException(
                    $"Redis has answered nothing for {silentFor} ms (limit {_limitMilliseconds} ms): it is paused, down or unreachable.",
                    CommandStatus.Unknown);
            }

            try
            {
                await command.WaitAsync(TimeSpan.FromMilliseconds(_limitMilliseconds - silentFor));
            }
            catch (Exception) when (command.IsCompleted)
            {
                // The command's own outcome, taken below.
            }
            catch (TimeoutException exception) when (exception is not RedisTimeoutException)
            {
                // This wait's own timeout: look again at when Redis last answered.
            }
        }

        try
        {
            var result = await command;
            Answered();
            return result;
        }
        catch (RedisServerException)
        {
            // An error reply is an answer too.
            Answered();
            throw;
        }
    }

    private void Answered() => Volatile.Write(ref _lastAnswer, Environment.TickCount64);
}
