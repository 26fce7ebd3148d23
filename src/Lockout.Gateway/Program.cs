// With several API instances the AppHost puts this in front of them on http://localhost:8080: a YARP reverse proxy
// that spreads requests round-robin over the instances its health probes find alive. Its routes are in
// appsettings.json; the AppHost supplies the destinations (ReverseProxy:Clusters:api:Destinations:<instance>:Address).
// YARP sets X-Forwarded-For to the address it saw (it does not append a client's own header), so a client cannot
// choose the source its failures count against; the API believes the header only from Lockout:Clients:TrustedProxies.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapReverseProxy();

app.Run();
