using System.Net;
using System.Net.Http.Headers;
using Lockout.Benchmarks.Systems;

namespace Lockout.Benchmarks.Load;

/// <summary>One answer (or its absence) as the client saw it.</summary>
/// <param name="Status">The HTTP status; 0 when no answer came (connection refused or reset, or the client's timeout).</param>
/// <param name="Account">The attacked account's index; -1 for an ordinary user's right password.</param>
internal readonly record struct ClientAnswer(DateTime SentAt, DateTime CompletedAt, int Status, int Account)
{
    /// <summary>What a working Lockout answers: signed in, wrong password, locked.</summary>
    public bool IsNormal => Status is 200 or 401 or 423;
}

/// <summary>
/// Logins at a steady rate, open-loop, whatever the system does: half are ordinary users with their right password,
/// half an attack that sends wrong passwords to a few accounts at a time until each is locked (its first 423), then
/// moves on to fresh ones, so locks keep happening. Each worker owns its accounts and sends one request at a time,
/// so an account's answers arrive in the order its attempts were made: its first 423 is the one that locked it.
/// HttpClient reconnects by itself when the API comes back after a restart.
/// </summary>
internal sealed class SteadyLoginLoad : IAsyncDisposable
{
    /// <summary>Accounts each worker attacks at once.</summary>
    private const int AttackedAtOnce = 3;

    /// <summary>An account not locked after this many wrong passwords (its attempts kept failing) is given up.</summary>
    private const int MaxAttemptsPerAccount = 15;

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ClientAnswer>[] _answers;
    private readonly Task[] _workers;
    private long _lastNormalSentTicks;
    private int _exhausted;

    private SteadyLoginLoad(IPEndPoint endpoint, AccountSet attacked, AccountSet users, int workers, double requestsPerSecond)
    {
        _client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = workers,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        })
        {
            BaseAddress = new Uri($"http://{endpoint}"),
            // Far above the API's own limits: a request that hangs this long is what the scenario looks for.
            Timeout = TimeSpan.FromSeconds(10),
        };
        var interval = TimeSpan.FromSeconds(workers / requestsPerSecond);
        _answers = [.. Enumerable.Range(0, workers).Select(_ => new List<ClientAnswer>())];
        var wrong = Bodies(attacked, correct: false);
        var right = Bodies(users, correct: true);
        _workers = [.. Enumerable.Range(0, workers).Select(worker => Task.Run(() => RunWorkerAsync(worker, workers, wrong, right, interval)))];
    }

    /// <summary>When the latest request that got a normal answer was sent.</summary>
    public DateTime LastNormalSentAt => new(Interlocked.Read(ref _lastNormalSentTicks), DateTimeKind.Utc);

    /// <summary>Workers that ran out of fresh accounts to attack (the run needs more).</summary>
    public int Exhausted => Volatile.Read(ref _exhausted);

    public static SteadyLoginLoad Start(IPEndPoint endpoint, AccountSet attacked, AccountSet users, int workers, double requestsPerSecond) =>
        new(endpoint, attacked, users, workers, requestsPerSecond);

    /// <summary>Stops sending; returns every answer, in no particular order.</summary>
    public async Task<IReadOnlyList<ClientAnswer>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        return [.. _answers.SelectMany(answers => answers)];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task RunWorkerAsync(int worker, int workers, byte[][] wrong, byte[][] right, TimeSpan interval)
    {
        var answers = _answers[worker];
        var nextFresh = worker;
        var attacked = new List<(int Account, int Attempts)>();
        var nextUser = worker;
        var due = DateTime.UtcNow;
        for (long step = 0; !_stop.IsCancellationRequested; step++)
        {
            var wait = due - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            // Open-loop: a request that took longer than the interval is not made up for with a burst.
            due = DateTime.UtcNow > due + interval ? DateTime.UtcNow : due + interval;
            if (step % 2 == 1)
            {
                answers.Add(await SendAsync(right[nextUser], -1));
                nextUser = (nextUser + workers) % right.Length;
                continue;
            }

            while (attacked.Count < AttackedAtOnce && nextFresh < wrong.Length)
            {
                attacked.Add((nextFresh, 0));
                nextFresh += workers;
            }

            if (attacked.Count == 0)
            {
                Interlocked.Increment(ref _exhausted);
                return;
            }

            var slot = (int)(step / 2 % attacked.Count);
            var (account, attempts) = attacked[slot];
            var answer = await SendAsync(wrong[account], account);
            answers.Add(answer);
            if (answer.Status == 423 || attempts + 1 >= MaxAttemptsPerAccount)
            {
                attacked.RemoveAt(slot);
            }
            else
            {
                attacked[slot] = (account, attempts + 1);
            }
        }
    }

    private async Task<ClientAnswer> SendAsync(byte[] body, int account)
    {
        var sentAt = DateTime.UtcNow;
        var status = 0;
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await _client.PostAsync(new Uri("/login", UriKind.Relative), content, CancellationToken.None);
            status = (int)response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            // No answer: refused while the API is down, or reset when it dies, or the client's timeout.
        }

        var answer = new ClientAnswer(sentAt, DateTime.UtcNow, status, account);
        if (answer.IsNormal)
        {
            // Workers race here; the latest send time wins.
            var ticks = sentAt.Ticks;
            long seen;
            while ((seen = Interlocked.Read(ref _lastNormalSentTicks)) < ticks && Interlocked.CompareExchange(ref _lastNormalSentTicks, ticks, seen) != seen)
            {
            }
        }

        return answer;
    }

    private static byte[][] Bodies(AccountSet accounts, bool correct) =>
        [.. Enumerable.Range(0, accounts.Count).Select(i => LoginRequest.EncodeBody(accounts.Username(i), correct ? accounts.Passwords.Correct : accounts.Passwords.Wrong))];
}
