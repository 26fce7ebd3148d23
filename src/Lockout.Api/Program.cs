using Lockout.Api.Apis;
using Lockout.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddLockoutApi();

var app = builder.Build();

app.UseTraceParentResponseHeader();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapLoginApi();
app.MapAdminApi();

app.Run();

/// <summary>Entry point, public for the functional tests' WebApplicationFactory.</summary>
public partial class Program;
