using Lockout.Benchmarks.Systems;
using Microsoft.AspNetCore.Hosting.Server.Features;
using StackExchange.Redis;

namespace Lockout.Benchmarks.Baseline;

/// <summary>
/// The platform notes' reference point, rebuilt so it runs beside Lockout on the same cores and the same Redis:
/// a bare minimal-API endpoint doing one Redis Lua call per request (no body binding, no middleware, no telemetry).
/// It answers <c>POST /login</c> with the locked answer, so the same load drives it; the gap between it and Lockout's
/// hot account is what Lockout adds on top of the one Redis round trip it needs.
/// </summary>
internal static class CeilingServer
{
    public const string Command = "ceiling-server";
    public const string RedisVariable = "LOCKOUT_BENCH_REDIS";

    // Five lines, like the reference's: read a lock flag and a counter.
    private const string Script = """
        local locked = redis.call('HGET', KEYS[1], 'locked')
        local attempts = redis.call('HGET', KEYS[1], 'attempts')
        if locked == '1' then
          return { 1, tonumber(attempts or '0') }
        end
        return { 0, tonumber(attempts or '0') }
        """;

    private static readonly RedisKey[] Keys = ["lockout-bench:ceiling"];

    public static async Task<int> RunAsync()
    {
        var redis = await ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable(RedisVariable)
            ?? throw new InvalidOperationException($"{RedisVariable} is not set."));

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        await using var app = builder.Build();
        var database = redis.GetDatabase();
        app.MapPost("/login", async () =>
        {
            await database.ScriptEvaluateAsync(Script, Keys);
            return TypedResults.Json(new LoginResponse("locked"), statusCode: StatusCodes.Status423Locked);
        });
        await app.StartAsync();

        ChildServer.AnnounceReady(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await ChildServer.WaitForParentAsync();
        await app.StopAsync();
        await redis.DisposeAsync();
        return 0;
    }
}
