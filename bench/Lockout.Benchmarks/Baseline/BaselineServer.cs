using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Lockout.Benchmarks.Systems;
using Npgsql;

namespace Lockout.Benchmarks.Baseline;

/// <summary>
/// The baseline service, run as a child process of the benchmark (<c>Lockout.Benchmarks baseline-server</c>):
/// a process of its own like Lockout's API, so its memory and CPU can be told apart from the load generator's.
/// </summary>
internal static class BaselineServer
{
    public const string Command = "baseline-server";
    public const string DatabaseVariable = "LOCKOUT_BENCH_BASELINE_DB";

    /// <param name="args"><c>--iterations N</c>: the PasswordHasher iteration count.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = int.Parse(args.SkipWhile(arg => arg != "--iterations").Skip(1).First(), CultureInfo.InvariantCulture);
        var connectionString = Environment.GetEnvironmentVariable(DatabaseVariable)
            ?? throw new InvalidOperationException($"{DatabaseVariable} is not set.");

        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton(new BaselinePasswords(iterations));
        builder.Services.AddSingleton<BaselineUserStore>();
        builder.Services.AddSingleton<BaselineStats>();

        await using var app = builder.Build();
        app.MapBaselineLoginApi();
        await app.StartAsync();

        ChildServer.AnnounceReady(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await ChildServer.WaitForParentAsync();
        await app.StopAsync();
        return 0;
    }
}
