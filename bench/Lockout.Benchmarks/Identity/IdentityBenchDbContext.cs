using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Lockout.Benchmarks.Identity;

/// <summary>
/// ASP.NET Core Identity's own EF Core model (AspNetUsers and the rest), unchanged: what the project templates
/// generate as ApplicationDbContext. The constructor takes only its options, as DbContext pooling requires.
/// </summary>
internal sealed class IdentityBenchDbContext(DbContextOptions<IdentityBenchDbContext> options) : IdentityDbContext<IdentityUser>(options);
