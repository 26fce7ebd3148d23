using System.Diagnostics;
using Lockout.Api.Apis;
using Lockout.Api.Outbox;
using Lockout.Api.Security;
using Lockout.Api.Services;
using Lockout.Api.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;

namespace Lockout.Api.Extensions;

public static class Extensions
{
    /// <summary>Connection names, as the AppHost declares the resources.</summary>
    public const string RedisConnection = "redis";
    public const string DatabaseConnection = "lockoutdb";
    public const string KafkaConnection = "kafka";

    private const string PasswordHasherSection = "Lockout:PasswordHasher";

    public static IHostApplicationBuilder AddLockoutApi(this IHostApplicationBuilder builder)
    {
        // Completions on the thread pool rather than StackExchange.Redis's own socket threads: fewer context
        // switches per login, which is most of what a refused login costs.
        builder.AddRedisClient(RedisConnection, configureOptions: options => options.SocketManager = StackExchange.Redis.SocketManager.ThreadPool);
        builder.AddNpgsqlDataSource(DatabaseConnection);
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
        builder.Services.AddOptions<PasswordHasherOptions>()
            .BindConfiguration(PasswordHasherSection)
            .Validate(options => options.IterationCount >= 1, $"{PasswordHasherSection}:IterationCount must be at least 1.")
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LockoutApiMetrics>();
        builder.Services.AddSingleton<GuessBudget>();
        builder.Services.AddSingleton<LockedAccountCache>();
        builder.Services.AddSingleton<PasswordVerifier>();
        builder.Services.AddSingleton<UserRepository>();
        builder.Services.AddSingleton<LoginService>();
        builder.Services.AddSingleton<LockoutOutbox>();
        builder.Services.AddHostedService<OutboxRelay>();

        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddHostedService<DevelopmentUserSeeder>();
        }

        // No default scheme: only the admin policy asks for the API key, so a login runs no authentication at all.
        builder.Services.AddAuthentication()
            .AddScheme<AdminApiKeyOptions, AdminApiKeyHandler>(AdminApiKeyHandler.SchemeName, options =>
                options.ApiKey = builder.Configuration["Lockout:AdminApiKey"]);
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
