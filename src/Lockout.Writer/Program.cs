using Lockout.Writer.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddLockoutWriter();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
