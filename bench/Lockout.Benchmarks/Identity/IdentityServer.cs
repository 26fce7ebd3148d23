using System.Globalization;
using Lockout.Benchmarks.Systems;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Lockout.Benchmarks.Identity;

/// <summary>
/// Real ASP.NET Core Identity (EF Core stores on PostgreSQL) as a login service, run as a child process of the
/// benchmark (<c>Lockout.Benchmarks identity-server</c>), configured the way a careful team would deploy it:
/// a pooled DbContext, EF's per-command logging off, and the same telemetry as Lockout's API.
/// </summary>
internal static class IdentityServer
{
    public const string Command = "identity-server";
    public const string DatabaseVariable = "LOCKOUT_BENCH_IDENTITY_DB";

    /// <summary>As Lockout's guess budget.</summary>
    public const int MaxFailedAccessAttempts = 5;

    /// <param name="args"><c>--iterations N</c>: the PasswordHasher iteration count.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = int.Parse(args.SkipWhile(arg => arg != "--iterations").Skip(1).First(), CultureInfo.InvariantCulture);
        var connectionString = Environment.GetEnvironmentVariable(DatabaseVariable)
            ?? throw new InvalidOperationException($"{DatabaseVariable} is not set.");

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddIdentityLogging();
        builder.AddIdentityTelemetry();
        builder.AddIdentityStores(connectionString, iterations);

        await using var app = builder.Build();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IdentityBenchDbContext>().Database.EnsureCreatedAsync();
        }

        app.MapIdentityLoginApi();
        await app.StartAsync();

        ChildServer.AnnounceReady(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await ChildServer.WaitForParentAsync();
        await app.StopAsync();
        return 0;
    }

    /// <summary>
    /// Identity (default options but <see cref="LockoutOptions.MaxFailedAccessAttempts"/>) over EF Core stores in a
    /// pooled DbContext, its password hasher counted.
    /// </summary>
    private static void AddIdentityStores(this WebApplicationBuilder builder, string connectionString, int iterations)
    {
        // Pooled: a context per request without building one each time, as EF's performance guidance advises.
        builder.Services.AddDbContextPool<IdentityBenchDbContext>(options => options.UseNpgsql(connectionString));

        // SignInManager's constructor wants the authentication scheme provider; the login itself issues no cookie.
        builder.Services.AddAuthentication();
        builder.Services.AddIdentityCore<IdentityUser>(options => options.Lockout.MaxFailedAccessAttempts = MaxFailedAccessAttempts)
            .AddSignInManager()
            .AddEntityFrameworkStores<IdentityBenchDbContext>();

        builder.Services.Configure<PasswordHasherOptions>(options => options.IterationCount = iterations);
        builder.Services.AddSingleton<PasswordHasher<IdentityUser>>();
        builder.Services.AddSingleton<IdentityStats>();
        builder.Services.AddScoped<CountingPasswordHasher>();
        builder.Services.Replace(ServiceDescriptor.Scoped<IPasswordHasher<IdentityUser>>(services => services.GetRequiredService<CountingPasswordHasher>()));
    }

    /// <summary>Lockout's API's levels (appsettings.json), and EF's per-command Information logs off, as in production.</summary>
    private static void AddIdentityLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
    }

    /// <summary>
    /// What Lockout's API records (its ServiceDefaults and Aspire's Npgsql integration): ASP.NET Core, runtime and
    /// Npgsql metrics and traces, plus Identity's own meter. Nothing is exported, as in the benchmark's Lockout.
    /// </summary>
    private static void AddIdentityTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Npgsql", "Microsoft.AspNetCore.Identity"))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                .AddSource("Npgsql"));
    }
}
