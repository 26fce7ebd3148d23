using Lockout.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(LocalInfrastructureFixture))]
