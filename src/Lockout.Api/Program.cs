using Lockout.Api.Apis;
using Lockout.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddLockoutApi();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseTraceParentResponseHeader();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapLoginApi();
app.MapAdminApi();
app.MapAdminSourcesApi();

app.Run();

