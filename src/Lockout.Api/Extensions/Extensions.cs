using System.Diagnostics;
using Lockout.Api.Apis;
using Lockout.Api.Clients;
using Lockout.Api.Outbox;
using Lockout.Api.Redis;
using Lockout.Api.Security;
using Lockout.Api.Services;
using Lockout.Api.Telemetry;
using Lockout.Events;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Identity;

namespace Lockout.Api.Extensions;

public static class Extensions
{
    /// <summary>Connection names, as the AppHost declares the resources.</summary>
    public const string RedisConnection = "redis";
    public const string RedisRelayConnection = "redis-relay";
    public const string DatabaseConnection = "lockoutdb";
    public const string KafkaConnection = "kafka";

    private const string PasswordHasherSection = "Lockout:PasswordHasher";

    public static IHostApplicationBuilder AddLockoutApi(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient(RedisConnection, configureSettings: settings =>
        {
            // Aspire's Redis tracing off: its profiling session holds every command until a drain every 10 s, which
            // made the gen1/gen2 collections behind the p99 of ordinary logins; each script runs in a span of
            // Lockout's own instead (RedisScripts).
            settings.DisableTracing = true;
            // Connected at start, not on first use (Aspire's default): on a fresh API the first use is a burst of
            // logins, every one blocked on the multiplexer's synchronous creation in the container while the
            // connection's completions need the thread pool they hold (in CI a 1,000-request burst on a fresh API
            // verified no password in 21 s).
            settings.DisableAutoActivation = false;
        }, configureOptions: options =>
        {
            // Completions on the thread pool rather than StackExchange.Redis's own socket threads: fewer context
            // switches per login, which is most of what a refused login costs.
            options.SocketManager = StackExchange.Redis.SocketManager.ThreadPool;
            // A paused or unreachable Redis costs a login a 503 after SilenceLimit (RedisScripts); this is the
            // ceiling for a command Redis is slow to answer while it answers others.
            var redis = builder.Configuration.GetSection(LockoutRedisOptions.SectionName).Get<LockoutRedisOptions>() ?? new();
            var commandTimeout = (int)redis.CommandTimeout.TotalMilliseconds;
            options.AsyncTimeout = commandTimeout;
            // Commands issued while the client reconnects (after a dead socket, a restart) wait in its backlog, which
            // times them out after SyncTimeout, not AsyncTimeout. The backlog itself stays: a login during a short
            // reconnect still gets its answer once the connection is back.
            options.SyncTimeout = commandTimeout;
            // Try to reconnect every silence limit rather than backing off from 2.5 s (the default, half of
            // ConnectTimeout), so that logins are answered again within a second or two of Redis's return.
            options.ReconnectRetryPolicy = new StackExchange.Redis.LinearRetry((int)redis.SilenceLimit.TotalMilliseconds);
            options.AbortOnConnectFail = false;
            ConfigureForRedisUser(options);
        });
        // The API's connections carry no session state (no SET, temporary table or session lock), so a connection
        // going back to the pool needs no DISCARD ALL: a round trip and a transaction less for every login's read.
        builder.AddNpgsqlDataSource(DatabaseConnection, configureDataSourceBuilder: dataSource =>
        {
            dataSource.ConnectionStringBuilder.NoResetOnClose = true;
            // The roles log in with SCRAM passwords, never Kerberos. With GSS encryption left at Npgsql's Prefer, an
            // open that fails for any reason (a server starting up or shutting down, too many connections) is made a
            // second time without GSS: two connections for the server to refuse, and twice the wait for the 503.
            dataSource.ConnectionStringBuilder.GssEncryptionMode = Npgsql.GssEncryptionMode.Disable;
        });
        builder.AddKafkaProducer<string, byte[]>(KafkaConnection, settings =>
        {
            // Idempotent with acks=all: retries cannot duplicate or reorder a partition's events.
            settings.Config.EnableIdempotence = true;
            settings.Config.Acks = Confluent.Kafka.Acks.All;
            settings.Config.LingerMs ??= 5;
            settings.Config.CompressionType ??= Confluent.Kafka.CompressionType.Lz4;
            // A delivery that has not succeeded in this time fails back to the relay, which keeps the event
            // in the outbox and sends it again.
            settings.Config.MessageTimeoutMs ??= 30_000;
        });

        builder.Services.AddOptions<LockoutPolicy>()
            .BindConfiguration(LockoutPolicy.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<OutboxRelayOptions>()
            .BindConfiguration(OutboxRelayOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<LockoutRedisOptions>()
            .BindConfiguration(LockoutRedisOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<PasswordHasherOptions>()
            .BindConfiguration(PasswordHasherSection)
            .Validate(options => options.IterationCount >= 1, $"{PasswordHasherSection}:IterationCount must be at least 1.")
            .ValidateOnStart();

        builder.Services.AddOptions<EventSigningOptions>()
            .BindConfiguration(EventSigningOptions.SectionName)
            .Validate(options => EventSigningOptions.Problem(options.SigningKey) is null, EventSigningOptions.Requirement)
            .ValidateOnStart();
        builder.Services.AddSingleton(services => new EventSigner(services.GetRequiredService<IOptions<EventSigningOptions>>().Value.SigningKey!));

        builder.Services.AddOptions<ClientOptions>()
            .BindConfiguration(ClientOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ClientOptions>, IHostEnvironment>(TrustProxies);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RedisClock>();
        builder.Services.AddSingleton<ClientIdentity>();
        builder.Services.AddSingleton<SourceThrottle>();
        builder.Services.AddSingleton<SourceMemory>();
        builder.Services.AddSingleton<WrongPasswordTags>();
        builder.Services.AddSingleton<LockoutApiMetrics>();
        builder.Services.AddSingleton<RedisScripts>();
        builder.Services.AddSingleton<GuessBudget>();
        builder.Services.AddSingleton<LockedAccountCache>();
        builder.Services.AddSingleton<PasswordVerifier>();
        builder.Services.AddSingleton<UserRepository>();
        builder.Services.AddSingleton<LoginService>();
        builder.Services.AddSingleton<LockoutKeyspace>();
        builder.Services.AddSingleton<OutboxConnection>();
        builder.Services.AddSingleton<LockoutOutbox>();
        builder.Services.AddHostedService<OutboxRelay>();

        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddHostedService<DevelopmentUserSeeder>();
        }

        // No default scheme: only the admin policy asks for the API key, so a login runs no authentication at all.
        builder.Services.AddAuthentication()
            .AddScheme<AdminApiKeyOptions, AdminApiKeyHandler>(AdminApiKeyHandler.SchemeName, options =>
            {
                options.ApiKey = builder.Configuration["Lockout:AdminApiKey"];
                builder.Configuration.GetSection(AdminApiKeyOptions.OperatorsSection).Bind(options.Operators);
            });
        builder.Services.AddSingleton<IValidateOptions<AdminApiKeyOptions>, AdminApiKeyValidation>();
        builder.Services.AddOptions<AdminApiKeyOptions>(AdminApiKeyHandler.SchemeName).ValidateOnStart();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminApiKeyHandler.PolicyName, policy => policy
                .AddAuthenticationSchemes(AdminApiKeyHandler.SchemeName)
                .RequireAuthenticatedUser());

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        builder.Services.AddValidation();

        return builder;
    }

    /// <summary>
    /// Sends only what a Redis user of a service may run (Redis ACL, <c>RedisUsers</c> in the AppHost): no CONFIG
    /// probe (the services must not read the server's settings; CLUSTER NODES stays, for a Redis Cluster's slot map), no tie-breaker key or configuration channel (for choosing between several primaries), no
    /// CLIENT SETINFO. Each refusal would only fill the server's ACL log, where an intrusion must stand out.
    /// </summary>
    /// <remarks>INFO stays: without it StackExchange.Redis tells a primary from a replica by a SET on a key of its own.</remarks>
    public static void ConfigureForRedisUser(StackExchange.Redis.ConfigurationOptions options)
    {
        options.CommandMap = StackExchange.Redis.CommandMap.Create(["CONFIG"], available: false);
        options.TieBreaker = "";
        options.ConfigurationChannel = "";
        options.SetClientLibrary = false;
    }

    /// <summary>
    /// Believes <c>X-Forwarded-For</c> only from the configured proxies (and, in Development, loopback, so that tests,
    /// the benchmark and a curl can act as many clients). ASP.NET Core's defaults trust loopback everywhere; cleared.
    /// </summary>
    private static void TrustProxies(ForwardedHeadersOptions forwarded, IOptions<ClientOptions> clients, IHostEnvironment environment)
    {
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        // Every hop from the right while the one before is trusted: a chain of trusted proxies.
        forwarded.ForwardLimit = null;
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in clients.Value.TrustedProxies)
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        }

        if (environment.IsDevelopment())
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("127.0.0.0/8"));
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse("::1/128"));
        }

        if (forwarded.KnownIPNetworks.Count == 0)
        {
            // With no known proxy at all, the middleware believes the header from anyone: read no header instead.
            forwarded.ForwardedHeaders = ForwardedHeaders.None;
        }
    }

    /// <summary>
    /// Puts the request's W3C <c>traceparent</c> on every response, so a caller can find its request in the traces.
    /// </summary>
    public static IApplicationBuilder UseTraceParentResponseHeader(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var activity = Activity.Current;
            if (activity is not null)
            {
                context.Response.OnStarting(() =>
                {
                    context.Response.Headers["traceparent"] = activity.Id;
                    return Task.CompletedTask;
                });
            }

            return next(context);
        });
}
