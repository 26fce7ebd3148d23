using Lockout.DatabaseManager;

var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddHostedService<DatabaseSetup>();

await builder.Build().RunAsync();
return Environment.ExitCode;
