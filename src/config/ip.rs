//! IP networks for allowlists ([`IpNet`]): IPv4 and IPv6, CIDR or single addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IPv4 or IPv6 network: an address with its host bits zero, and a prefix length.
///
/// * A single address is a network of one (`/32`, `/128`).
/// * An IPv6 network inside the IPv4-mapped range `::ffff:0:0/96` is stored as the IPv4 network
///   it covers (`::ffff:203.0.113.0/120` is `203.0.113.0/24`), and an IPv4-mapped IPv6 address
///   (`::ffff:203.0.113.7`) is looked up as the IPv4 address it carries. So IPv4 ranges match
///   addresses logged in either form.
/// * An IPv4 address is compared with the other IPv6 networks in its mapped form: `::/0`
///   contains every address, `2001:db8::/32` no IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

/// Why a string is not an [`IpNet`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpNetError {
    #[error("{0:?} is not an IP address or CIDR network (e.g. 203.0.113.0/24, 2001:db8::/32)")]
    Syntax(String),
    #[error("{input:?}: prefix length /{prefix} is longer than /{max}, the length of the address")]
    PrefixTooLong {
        input: String,
        prefix: String,
        max: u8,
    },
    #[error("{input:?} has host bits set after the prefix: the network is {network}")]
    HostBits { input: String, network: String },
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
}

/// An IPv4-mapped IPv6 address as IPv4; any other address unchanged.
fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

impl IpNet {
    /// The network of `prefix` bits that contains `addr` (host bits are cleared).
    pub fn new(addr: IpAddr, prefix: u8) -> Result<IpNet, IpNetError> {
        let max = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > max {
            return Err(IpNetError::PrefixTooLong {
                input: addr.to_string(),
                prefix: prefix.to_string(),
                max,
            });
        }
        Ok(Self::masked(addr, prefix).canonical())
    }

    fn masked(addr: IpAddr, prefix: u8) -> IpNet {
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(prefix))),
        };
        IpNet { addr, prefix }
    }

    /// IPv6 networks within `::ffff:0:0/96` become the IPv4 network they cover.
    fn canonical(self) -> IpNet {
        match self.addr {
            IpAddr::V6(a) if self.prefix >= 96 => match a.to_ipv4_mapped() {
                Some(v4) => IpNet {
                    addr: IpAddr::V4(v4),
                    prefix: self.prefix - 96,
                },
                None => self,
            },
            _ => self,
        }
    }

    /// Parses `203.0.113.0/24`, `2001:db8::/32`, or a single address (`203.0.113.7`,
    /// `2001:db8::1`). The prefix is decimal digits only, at most the address length; an address
    /// with bits set after the prefix (`10.1.2.3/8`) is refused, naming the network meant.
    pub fn parse(s: &str) -> Result<IpNet, IpNetError> {
        let syntax = || IpNetError::Syntax(s.to_string());
        let (addr_s, prefix_s) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr_s.parse().map_err(|_| syntax())?;
        let max: u8 = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let prefix = match prefix_s {
            None => max,
            Some(p) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(syntax());
                }
                match p.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => {
                        return Err(IpNetError::PrefixTooLong {
                            input: s.to_string(),
                            prefix: p.to_string(),
                            max,
                        })
                    }
                }
            }
        };
        let net = Self::masked(addr, prefix);
        if net.addr != addr {
            return Err(IpNetError::HostBits {
                input: s.to_string(),
                network: net.to_string(),
            });
        }
        Ok(net.canonical())
    }

    /// Whether `ip` is in this network (see the type's documentation for IPv4-mapped
    /// addresses).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, unmap(ip)) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                u32::from(a) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & mask128(self.prefix) == u128::from(net)
            }
            (IpAddr::V6(net), IpAddr::V4(a)) => {
                u128::from(a.to_ipv6_mapped()) & mask128(self.prefix) == u128::from(net)
            }
        }
    }

    /// The network address (host bits zero).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length in bits.
    pub fn prefix_len(&self) -> u8 {
        self.prefix
    }
}

impl FromStr for IpNet {
    type Err = IpNetError;
    fn from_str(s: &str) -> Result<IpNet, IpNetError> {
        IpNet::parse(s)
    }
}

/// Always in CIDR form (`203.0.113.7/32`).
impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}
