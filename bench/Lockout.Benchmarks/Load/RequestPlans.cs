namespace Lockout.Benchmarks.Load;

/// <summary>What the generator sends next; shared by all connections of a run, so it must be thread-safe.</summary>
internal interface IRequestPlan
{
    /// <summary>The next request and its position in the plan; false when the plan is used up.</summary>
    bool TryTake(out LoginRequest request, out long index);
}

/// <summary>The same request for ever: one account under attack.</summary>
internal sealed class RepeatedRequestPlan(byte[] bytes, int account = 0) : IRequestPlan
{
    private long _taken;

    public bool TryTake(out LoginRequest request, out long index)
    {
        index = Interlocked.Increment(ref _taken) - 1;
        request = new LoginRequest(bytes, account);
        return true;
    }
}

/// <summary>A fixed list of requests, each sent once, in order of taking.</summary>
internal sealed class SequenceRequestPlan(int count, Func<int, LoginRequest> requestAt) : IRequestPlan
{
    private long _taken;

    public int Count => count;

    public bool TryTake(out LoginRequest request, out long index)
    {
        index = Interlocked.Increment(ref _taken) - 1;
        if (index >= count)
        {
            request = default;
            return false;
        }

        request = requestAt((int)index);
        return true;
    }
}

/// <summary>Random accounts, each request right with a given probability: ordinary sign-in traffic.</summary>
internal sealed class RandomLoginPlan(byte[][] correct, byte[][] wrong, double wrongShare) : IRequestPlan
{
    private long _taken;

    public bool TryTake(out LoginRequest request, out long index)
    {
        index = Interlocked.Increment(ref _taken) - 1;
        var account = Random.Shared.Next(correct.Length);
        var bytes = Random.Shared.NextDouble() < wrongShare ? wrong[account] : correct[account];
        request = new LoginRequest(bytes, account);
        return true;
    }
}
